from django.urls import path

from dialcrm.desk import views

app_name = "desk"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("start/", views.start_work, name="start"),
    path("stop/", views.end_work, name="stop"),
    path("team/", views.team, name="team"),
    path("sales/", views.SaleList.as_view(), name="sale_list"),
]
