from django.urls import path

from dialcrm.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="login"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-out/", views.sign_out, name="logout"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("admin/audit/", views.audit_log, name="audit_log"),
    path("admin/networks/", views.NetworkRuleList.as_view(), name="network_list"),
    path("admin/networks/add/", views.NetworkRuleEdit.as_view(), name="network_add"),
    path("admin/networks/<int:pk>/", views.NetworkRuleEdit.as_view(), name="network_edit"),
    path(
        "admin/networks/<int:pk>/deactivate/",
        views.NetworkRuleDeactivate.as_view(),
        name="network_deactivate",
    ),
    path("admin/tokens/", views.ApiTokenList.as_view(), name="token_list"),
    path("admin/tokens/add/", views.ApiTokenAdd.as_view(), name="token_add"),
    path("admin/tokens/<int:pk>/", views.ApiTokenAdd.as_view(), name="token_edit"),
    path("admin/tokens/<int:pk>/revoke/", views.ApiTokenRevoke.as_view(), name="token_deactivate"),
]
