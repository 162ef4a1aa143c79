from __future__ import annotations

from django.urls import path

from sandbox import views

app_name = "sandbox"
urlpatterns = [
    path("", views.lab, name="lab"),
    path("s/<str:token>/", views.lab_shared, name="shared"),
    path("<slug:preset>/", views.lab_preset, name="preset"),
]
