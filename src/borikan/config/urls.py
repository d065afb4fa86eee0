from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from borikan.config.api import api
from borikan.core.csp import csp_report

urlpatterns = [
    path("api/v1/", api.urls),
    path("csp-report/", csp_report, name="csp_report"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("borikan.catalog.urls")),
    path("account/", include("borikan.identity.urls")),
    path("applications/", include("borikan.applications.urls")),
    path("office/", include("borikan.applications.office_urls")),
    path("payments/", include("borikan.payments.urls")),
    path("", include("borikan.documents.urls")),
    path("wallet/", include("borikan.delivery.urls")),
    path("agencies/", include("borikan.governance.urls")),
    path("agency-admin/", include("borikan.governance.agency_admin_urls")),
    path("forms/applications/", include("borikan.applications.form_urls")),
    path("forms/", include("borikan.eforms.urls")),
    path("approvals/", include("borikan.approvals.urls")),
]

if settings.BORIKAN_BENCH_ENDPOINTS:
    from borikan.core.bench_views import bare_insert

    urlpatterns.append(path("bench/bare-insert", bare_insert))

handler404 = "borikan.core.errorviews.not_found"
