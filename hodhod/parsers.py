"""The API's JSON parser (settings: REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]).

Its own module, importing no DRF views: `rest_framework.views` reads DEFAULT_PARSER_CLASSES when it
is imported, so the parser must not live in a module that imports the views (core.api does).
"""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but a body nested deeper than Python's parser can go (`[[[[…` 100 000
    times) is `malformed_request`, not a RecursionError and a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from exc
