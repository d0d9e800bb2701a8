"""Page-number pagination: ?page=N&page_size=M (M at most 100; default REST_FRAMEWORK PAGE_SIZE)."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100
    page_size_query_description = "Results per page (1–100; default 25)."
    page_query_description = "Page number, from 1. A page past the last one is a 404."
