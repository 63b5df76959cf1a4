from django.urls import path

from dialcrm.org import views

app_name = "org"

urlpatterns = [
    path("companies/", views.CompanyList.as_view(), name="company_list"),
    path("companies/add/", views.CompanyEdit.as_view(), name="company_add"),
    path("companies/<int:pk>/", views.CompanyEdit.as_view(), name="company_edit"),
    path(
        "companies/<int:pk>/deactivate/",
        views.CompanyDeactivate.as_view(),
        name="company_deactivate",
    ),
    path("locations/", views.LocationList.as_view(), name="location_list"),
    path("locations/add/", views.LocationEdit.as_view(), name="location_add"),
    path("locations/<int:pk>/", views.LocationEdit.as_view(), name="location_edit"),
    path(
        "locations/<int:pk>/deactivate/",
        views.LocationDeactivate.as_view(),
        name="location_deactivate",
    ),
    path("teams/", views.TeamList.as_view(), name="team_list"),
    path("teams/add/", views.TeamEdit.as_view(), name="team_add"),
    path("teams/<int:pk>/", views.TeamEdit.as_view(), name="team_edit"),
    path("teams/<int:pk>/deactivate/", views.TeamDeactivate.as_view(), name="team_deactivate"),
    path("staff/", views.StaffList.as_view(), name="staff_list"),
    path("staff/add/", views.StaffEdit.as_view(), name="staff_add"),
    path("staff/<int:pk>/", views.StaffEdit.as_view(), name="staff_edit"),
    path("staff/<int:pk>/deactivate/", views.StaffDeactivate.as_view(), name="staff_deactivate"),
    path("staff/<int:pk>/password/", views.StaffPasswordReset.as_view(), name="staff_password"),
]
