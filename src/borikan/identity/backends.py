"""Password sign-in by e-mail address or by a proven mobile number."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from borikan.core.errors import ApplicationError

from .models import User


class EmailOrMobileBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if not username or password is None:
            return None
        if "@" in username:
            user = User.objects.filter(email=username.strip().lower()).first()
        else:
            from borikan.core.sms import thai_mobile

            try:
                user = User.objects.filter(mobile=thai_mobile(username)).first()
            except ApplicationError:
                user = None
        if user is None:
            User().set_password(password)  # the same work as a real check: timing says nothing about existence
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
