from django.views import defaults

from hodhod.api import is_api_request, json_not_found, json_server_error


def page_not_found(request, exception):
    if is_api_request(request):
        return json_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_request(request):
        return json_server_error(request)
    return defaults.server_error(request)
