from django.urls import path

from dialcrm.quality import views

app_name = "quality"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("sales/<int:pk>/", views.review, name="review"),
    path("sales/<int:pk>/accept/", views.decide, {"decision": "accept"}, name="accept"),
    path("sales/<int:pk>/reject/", views.decide, {"decision": "reject"}, name="reject"),
    path("sales/<int:pk>/cancel/", views.decide, {"decision": "cancel"}, name="cancel"),
    path("sales/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("sales/<int:pk>/correct/", views.correct, name="correct"),
    path("sales/<int:pk>/score/", views.score, name="score"),
    path("sales/<int:pk>/recording/", views.recording, name="recording"),
    path("mine/", views.my_sales, name="my_sales"),
    path("mine/<int:pk>/", views.my_sale, name="my_sale"),
    path("scorecards/", views.CriterionList.as_view(), name="criterion_list"),
    path("scorecards/add/", views.CriterionEdit.as_view(), name="criterion_add"),
    path("scorecards/<int:pk>/", views.CriterionEdit.as_view(), name="criterion_edit"),
    path(
        "scorecards/<int:pk>/deactivate/",
        views.CriterionDeactivate.as_view(),
        name="criterion_deactivate",
    ),
    path("scores/", views.scores, name="scores"),
]
