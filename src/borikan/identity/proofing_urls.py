"""Pages for proofing (identity). Mounted under /account/ by identity/urls.py."""

from django.urls import path

from . import proofing_views

urlpatterns = [
    path("assurance/", proofing_views.assurance, name="assurance"),
    path("counter-proofing/", proofing_views.counter_proofing, name="counter_proofing"),
    path("juristic-representation/", proofing_views.juristic_representation, name="juristic_representation"),
]
