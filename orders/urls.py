from django.urls import path

from orders import item_code_views, quote_views, recurring_views, views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("item-codes/", item_code_views.item_code_list, name="item_code_list"),
    path("item-codes/<int:pk>/delete/", item_code_views.item_code_delete, name="item_code_delete"),
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/add-many/", views.cart_add_many, name="cart_add_many"),
    path("cart/lines/<int:line_id>/", views.cart_line_update, name="cart_line_update"),
    path("cart/empty/", views.cart_empty, name="cart_empty"),
    path("cart/save/", views.cart_save, name="cart_save"),
    path("cart/lists/<int:list_id>/load/", views.cart_load, name="cart_load"),
    path("quick/", views.quick_order, name="quick_order"),
    path("previously-ordered/", views.previously_ordered, name="previously_ordered"),
    path("previously-ordered/add/", views.previously_ordered_add, name="previously_ordered_add"),
    path("checkout/", views.checkout, name="checkout"),
    path("approvals/", views.approvals, name="approvals"),
    path("recurring/", recurring_views.recurring_list, name="recurring_list"),
    path("recurring/new/", recurring_views.recurring_new, name="recurring_new"),
    path("recurring/<int:recurring_id>/", recurring_views.recurring_detail, name="recurring_detail"),
    path(
        "recurring/<int:recurring_id>/pause/",
        recurring_views.recurring_action,
        {"action": "pause"},
        name="recurring_pause",
    ),
    path(
        "recurring/<int:recurring_id>/resume/",
        recurring_views.recurring_action,
        {"action": "resume"},
        name="recurring_resume",
    ),
    path(
        "recurring/<int:recurring_id>/delete/",
        recurring_views.recurring_action,
        {"action": "delete"},
        name="recurring_delete",
    ),
    path("quotes/", quote_views.quote_list, name="quote_list"),
    path("quotes/from-cart/", quote_views.quote_from_cart, name="quote_from_cart"),
    path("quotes/<str:number>/", quote_views.quote_detail, name="quote_detail"),
    path("quotes/<str:number>/pdf/", quote_views.quote_pdf, name="quote_pdf"),
    path("quotes/<str:number>/accept/", quote_views.quote_accept_view, name="quote_accept"),
    path("quotes/<str:number>/decline/", quote_views.quote_answer, {"answer": "decline"}, name="quote_decline"),
    path("quotes/<str:number>/revision/", quote_views.quote_answer, {"answer": "revision"}, name="quote_revision"),
    path("quotes/<str:number>/cancel/", quote_views.quote_answer, {"answer": "cancel"}, name="quote_cancel"),
    path("<str:number>/", views.order_detail, name="order_detail"),
    path("<str:number>/pdf/", views.order_pdf, name="order_pdf"),
    path("<str:number>/cancel/", views.order_cancel, name="order_cancel"),
    path("<str:number>/reorder/", views.reorder, name="reorder"),
    path("<str:number>/approve/", views.order_decide, {"decision": "approve"}, name="order_approve"),
    path("<str:number>/reject/", views.order_decide, {"decision": "reject"}, name="order_reject"),
]
