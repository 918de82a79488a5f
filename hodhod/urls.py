from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from hodhod import health, views

admin.site.site_header = "Hod & Hod administration"
admin.site.site_title = "Hod & Hod admin"
admin.site.index_title = "Shop, programs and content"

api_patterns = [
    path("", include("shop.api_urls")),
    path("", include("billing.api_urls")),
    path("", include("programs.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("content.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script for the CSP to refuse.
    # No OPTIONS metadata: the HTML renderer has no template for it (a 500); OPTIONS is a JSON 405 instead.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", metadata_class=None), name="api-docs"),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("", views.home, name="home"),
    path("", include("payments.urls")),
    path("", include("shop.urls")),
    path("", include("billing.urls")),
    path("", include("programs.urls")),
    path("", include("accounts.urls")),
    path("", include("content.urls")),
]

handler400 = "hodhod.views.bad_request"
handler403 = "hodhod.views.permission_denied"
handler404 = "hodhod.views.page_not_found"
handler500 = "hodhod.views.server_error"
