from accounts.money_requests import requests_waiting_count


def requests_waiting(request) -> dict:
    """How many money requests wait for the signed-in person (shown in every page's menu)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith(("/admin/", "/api/")):
        return {}
    return {"requests_waiting": requests_waiting_count(user=user)}
