from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from catalog import views as catalog_views
from orders import views as order_views


def favicon(request):
    """Browsers ask for /favicon.ico on pages without an icon link (the admin, PDFs opened in a tab)."""
    return redirect(static_url("b2bportal/favicon.ico"))


urlpatterns = [
    path("", order_views.home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("account/", include("payments.account_urls")),
    path("account/", include("dealers.urls")),
    path("catalog/", include("catalog.urls")),
    path("orders/", include("orders.urls")),
    path("payments/", include("payments.urls")),
    path("notifications/", include("notifications.urls")),
    path("erpsync/", include("erpsync.urls")),
    path("api/v1/", include("api.urls")),
    path("account/", include("api.portal_urls")),
    path("admin/", admin.site.urls),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]

if settings.B2B_SERVE_MEDIA and not settings.MEDIA_URL.startswith(("http://", "https://", "//")):
    # Product thumbnails (catalog/media.py); a proxy in front may serve MEDIA_ROOT itself instead (SERVE_MEDIA=0).
    urlpatterns.append(
        path(f"{settings.MEDIA_URL.strip('/')}/catalog/thumbs/<path:name>", catalog_views.thumbnail, name="thumbnail")
    )

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
