from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from live import apis as st
from live import audience_page as audience_pages
from live import control, feeds, wall
from live import draws as draw_pages
from live import pages as studio_pages
from live import prompter as prompter_pages
from live.posting import apis as posting_apis
from questions import apis as q
from questions import public_apis as pub
from questions.ingest import views as ingest_views
from reports import urls as report_urls
from socialroom import health, prometheus
from socialroom.views import api_not_found

admin.site.site_header = "Social Room studio"
admin.site.site_title = "Social Room studio"
admin.site.index_title = "Stations, sessions and questions"

api: list[URLPattern | URLResolver] = [
    path("stations/", st.StationListApi.as_view(), name="station-list"),
    path("sessions/", st.SessionListApi.as_view(), name="session-list"),
    path("sessions/<int:pk>/", st.SessionDetailApi.as_view(), name="session-detail"),
    path("sessions/<int:pk>/status/", st.SessionStatusApi.as_view(), name="session-status"),
    path(
        "sessions/<int:pk>/overlay-key/",
        st.SessionRotateOverlayKeyApi.as_view(),
        name="session-overlay-key",
    ),
    path("sessions/<int:pk>/guests/", st.GuestListApi.as_view(), name="guest-list"),
    path("guests/<int:pk>/", st.GuestDetailApi.as_view(), name="guest-detail"),
    path("sessions/<int:pk>/questions/", q.QuestionListApi.as_view(), name="question-list"),
    path("sessions/<int:pk>/on-air/", q.OnAirApi.as_view(), name="session-on-air"),
    path("sessions/<int:pk>/as-run/", st.AsRunListApi.as_view(), name="session-as-run"),
    path("sessions/<int:pk>/air-log/", st.AirLogListApi.as_view(), name="session-air-log"),
    path(
        "sessions/<int:pk>/control-key/",
        st.SessionControlKeyApi.as_view(),
        name="session-control-key",
    ),
    # The session actions of questions.actions beyond take and clear (name "session-<path>").
    *(
        path(f"sessions/<int:pk>/{route}/", view.as_view(), name=f"session-{route}")
        for route, view in q.SESSION_ACTION_VIEWS.items()
        if route != "on-air"
    ),
    path(
        "sessions/<int:pk>/backstage/",
        st.BackstageMessageListApi.as_view(),
        name="session-backstage",
    ),
    path(
        "sessions/<int:pk>/moderation-log/",
        q.ModerationLogApi.as_view(),
        name="session-moderation-log",
    ),
    path("questions/<int:pk>/", q.QuestionDetailApi.as_view(), name="question-detail"),
    path(
        "questions/<int:pk>/posts/", posting_apis.QuestionPostsApi.as_view(), name="question-posts"
    ),
    # One route per question action of questions.actions (name "question-<action>").
    *(
        path(f"questions/<int:pk>/{name}/", view.as_view(), name=f"question-{name}")
        for name, view in q.QUESTION_ACTION_VIEWS.items()
    ),
    path("bans/", q.BanListApi.as_view(), name="ban-list"),
    # One author's data at a station: right to erasure and right of access (docs/privacy.md).
    path(
        "stations/<int:station>/authors/<int:pk>/erase/",
        q.AuthorEraseApi.as_view(),
        name="author-erase",
    ),
    path(
        "stations/<int:station>/authors/<int:pk>/export/",
        q.AuthorExportApi.as_view(),
        name="author-export",
    ),
    # Control surfaces (a Stream Deck): the session's control key is the credential.
    path("control/<slug:slug>/status/", control.ControlStatusApi.as_view(), name="control-status"),
    path(
        "control/<slug:slug>/take-next/",
        control.ControlTakeNextApi.as_view(),
        name="control-take-next",
    ),
    path("control/<slug:slug>/clear/", control.ControlClearApi.as_view(), name="control-clear"),
    path("control/<slug:slug>/lock/", control.ControlLockApi.as_view(), name="control-lock"),
    path("control/<slug:slug>/unlock/", control.ControlUnlockApi.as_view(), name="control-unlock"),
    path("bans/<int:pk>/", q.BanDetailApi.as_view(), name="ban-detail"),
    path("public/sessions/<slug:slug>/", pub.PublicSessionApi.as_view(), name="public-session"),
    path(
        "public/sessions/<slug:slug>/questions/",
        pub.PublicQuestionListApi.as_view(),
        name="public-question-list",
    ),
    path(
        "public/sessions/<slug:slug>/questions/<int:pk>/vote/",
        pub.public_vote_view,
        name="public-vote",
    ),
    path(
        "public/sessions/<slug:slug>/questions/<int:pk>/report/",
        pub.PublicReportApi.as_view(),
        name="public-report",
    ),
    path(
        "public/sessions/<slug:slug>/mine/",
        pub.PublicMyQuestionsApi.as_view(),
        name="public-mine",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP). Its
    # page renderer has no template for OPTIONS' metadata: GET and HEAD only.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", http_method_names=["get", "head"]),
        name="api-docs",
    ),
    path("auth/", include("rest_framework.urls")),
    # The session report, its figures and the exports (reports/).
    *report_urls.api_urlpatterns,
    # Contest draws (live/draws.py).
    *draw_pages.api_urlpatterns,
    # Anything else under /api/ answers in the API's error shape, in debug mode too.
    re_path(r"^.*$", api_not_found),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(url="/studio/", permanent=False)),
    # For load balancers and the monitoring system (docs/deployment.md, "Health", "Metrics").
    path("healthz", health.liveness, name="health-live"),
    path("readyz", health.readiness, name="health-ready"),
    path("metrics", prometheus.metrics_view, name="metrics"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="live/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("studio/", studio_pages.home, name="studio-home"),
    path("studio/<slug:slug>/console/", studio_pages.console, name="console"),
    path("overlay/<slug:slug>/", studio_pages.overlay, name="overlay"),
    path("prompter/<slug:slug>/", prompter_pages.prompter, name="prompter"),
    path("s/<slug:slug>/", audience_pages.audience, name="audience"),
    path("feeds/<slug:slug>/on-air.<str:fmt>", feeds.on_air, name="feed-on-air"),
    path("feeds/<slug:slug>/preview.<str:fmt>", feeds.preview, name="feed-preview"),
    path("feeds/<slug:slug>/queue.<str:fmt>", feeds.queue, name="feed-queue"),
    path("feeds/<slug:slug>/wall.<str:fmt>", wall.wall_feed, name="feed-wall"),
    path("wall/<slug:slug>/", wall.wall_page, name="wall"),
    path("ingest/sms/<str:token>/", ingest_views.sms, name="ingest-sms"),
    path("ingest/webhook/<str:token>/", ingest_views.webhook, name="ingest-webhook"),
    *report_urls.page_urlpatterns,
    *draw_pages.page_urlpatterns,
    path("admin/", admin.site.urls),
    path("api/", include(api)),
]

handler400 = "socialroom.views.bad_request"
handler403 = "socialroom.views.permission_denied"
handler404 = "socialroom.views.page_not_found"
handler500 = "socialroom.views.server_error"
