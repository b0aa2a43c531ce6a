from django.conf import settings

# The main menu entry each dealer page belongs to (view name → entry), so exactly one entry is lit. A namespace
# alone stands for all its views not listed by name.
NAV_SECTIONS = {
    "home": "home",
    "catalog": "catalog",
    "orders:cart": "cart",
    "orders:checkout": "cart",
    "orders:quick_order": "cart",
    "orders:approvals": "approvals",
    "orders:quote_list": "quotes",
    "orders:quote_detail": "quotes",
    "orders:previously_ordered": "previously_ordered",
    "catalog:stock_alerts": "stock_alerts",
    "orders": "orders",
    "account:summary": "account",
    "dealers:statement": "account",
    "dealers:document_list": "documents",
    "dealers:address_list": "addresses",
    "dealers:address_propose": "addresses",
    "dealers:user_list": "users",
    "dealers:user_invite": "users",
    "dealers:user_edit": "users",
    "payments": "payments",
}


def nav_section(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    return NAV_SECTIONS.get(match.view_name) or NAV_SECTIONS.get(match.namespace) or ""


def portal(request):
    return {
        "portal_company_name": settings.B2B_COMPANY_NAME,
        "nav_section": nav_section(request),
        "demo_site": settings.B2B_DEMO_SITE,
    }
