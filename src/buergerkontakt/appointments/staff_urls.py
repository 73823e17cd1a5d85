app_name = "appointments_staff"

urlpatterns: list = []
