import json
import os

from django.contrib.auth import views as auth_views
from django.contrib.auth.models import Group, User
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import get_application_model


@csrf_exempt
def setup(request):
    """Test control: (re)create the client and the people with their groups (needs the control token)."""
    if request.headers.get("X-Control-Token") != os.environ["OIDC_PROVIDER_CONTROL_TOKEN"]:
        return HttpResponseForbidden()
    data = json.loads(request.body)
    Application = get_application_model()
    if "client" in data:
        client = data["client"]
        Application.objects.filter(client_id=client["client_id"]).delete()
        Application.objects.create(
            name="Bürgerkontakt", client_id=client["client_id"], client_secret=client["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(client["redirect_uris"]),
            post_logout_redirect_uris=" ".join(client.get("post_logout_redirect_uris", [])),
            algorithm=Application.RS256_ALGORITHM, skip_authorization=True,
        )
    for person in data.get("people", []):
        user, _ = User.objects.get_or_create(username=person["username"])
        user.first_name, user.last_name = person.get("first_name", ""), person.get("last_name", "")
        user.email = person.get("email", "")
        user.set_password(person["password"])
        user.save()
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in person.get("groups", [])])
    return JsonResponse({"ok": True})


def signed_out(request):
    return HttpResponse("signed out")


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("test/setup", setup),
    path("signed-out", signed_out),
]
