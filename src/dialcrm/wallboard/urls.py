from django.urls import path

from dialcrm.wallboard import views

app_name = "wallboard"

urlpatterns = [
    path("", views.choose, name="choose"),
    path("<int:campaign_id>/", views.board, name="board"),
]
