from django.urls import path

from programs import api

urlpatterns = [
    path("programs/", api.ProgramListApi.as_view(), name="api-programs"),
    path("programs/<slug:slug>/signup/", api.ProgramSignupApi.as_view(), name="api-program-signup"),
    path("enrollments/<str:token>/", api.EnrollmentApi.as_view(), name="api-enrollment"),
    path("enrollments/<str:token>/pause/", api.EnrollmentPauseApi.as_view(), name="api-enrollment-pause"),
    path("enrollments/<str:token>/resume/", api.EnrollmentResumeApi.as_view(), name="api-enrollment-resume"),
    path(
        "enrollments/<str:token>/unsubscribe/",
        api.EnrollmentUnsubscribeApi.as_view(),
        name="api-enrollment-unsubscribe",
    ),
]
