from django.urls import path

from dealers import views

app_name = "dealers"

urlpatterns = [
    path("statement/", views.statement_view, name="statement"),
    path("documents/", views.document_list, name="document_list"),
    path("documents/<int:pk>/", views.document_detail, name="document_detail"),
    path("documents/<int:pk>/pdf/", views.document_download, name="document_pdf"),
    path("addresses/", views.address_list, name="address_list"),
    path("addresses/propose/", views.address_propose, name="address_propose"),
    path("users/", views.user_list, name="user_list"),
    path("users/invite/", views.user_invite, name="user_invite"),
    path("users/<int:pk>/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/send-invitation/", views.invitation_resend, name="invitation_resend"),
    path("invitation/<uidb64>/<token>/", views.invitation_accept, name="invitation_accept"),
]
