from django.http import HttpRequest

from .selectors import is_staff_member


def staff(request: HttpRequest) -> dict[str, bool]:
    user = getattr(request, "user", None)
    return {"is_agency_staff": bool(user and user.is_authenticated and is_staff_member(user=user))}
