from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("lessons.account_urls")),
    path("lab/", include("sandbox.urls")),
    path("", include("lessons.urls")),
]

handler404 = "lessons.views.page_not_found"
handler500 = "lessons.views.server_error"
