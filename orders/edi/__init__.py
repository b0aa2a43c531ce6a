"""EDI orders: UBL 2.1 Order (PEPPOL BIS Ordering 3) and UN/EDIFACT ORDERS (D.96A, D.01B; several per interchange)
in, OrderResponse and ORDRSP out, with the EDIFACT CONTRL syntax report (docs/edi.md).
``orders.edi.intake.edi_order_receive`` is the one entry: the API upload and the drop folders call it."""
