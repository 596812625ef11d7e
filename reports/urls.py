"""The report's routes: pages (mounted at the site's root) and API routes (mounted under /api/)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from reports import apis, exports, pages

page_urlpatterns: list[URLPattern | URLResolver] = [*pages.urlpatterns]
api_urlpatterns: list[URLPattern | URLResolver] = [*apis.urlpatterns, *exports.urlpatterns]
