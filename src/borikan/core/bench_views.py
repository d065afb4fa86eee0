"""The floor for `make bench`: a bare Django view inserting one row. Mounted only when BORIKAN_BENCH_ENDPOINTS=1."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import BenchRow


@csrf_exempt
@login_not_required
@require_POST
def bare_insert(request: HttpRequest) -> JsonResponse:
    row = BenchRow.objects.create(payload=request.body[:200].decode(errors="replace"))
    return JsonResponse({"id": row.pk}, status=201)
