"""What every list and page of the console shares: a list is titled by what it lists ("People",
"Transfers"), never "Select person to change"; a page is titled by the console's own words for
its object (console/display.py), never a model's `__str__`; filters have plain titles; and a
bulk action the operator's role may not take says so instead of doing nothing in silence."""

from django.contrib import admin, messages
from django.contrib.admin.utils import model_format_dict
from django.shortcuts import redirect
from django.utils.text import capfirst

from core.replicas import read_alias


def titled(title: str):
    """A list filter of a model field under a plain title ("By status", not "By is active"):
    `list_filter = [("is_active", titled("status"))]`. The field's usual filter (boolean,
    choices, date, relation) is built as the admin would, then given the title."""

    class TitledFilter(admin.FieldListFilter):
        def __new__(cls, field, request, params, model, model_admin, field_path):
            spec = admin.FieldListFilter.create(field, request, params, model, model_admin, field_path=field_path)
            spec.title = title
            return spec

    return TitledFilter


def yes_no(field: str, title: str, yes: str, no: str):
    """A filter of a boolean field in words ("By state: Frozen / Not frozen", not "Yes / No"),
    on the admin's own parameter (`frozen__exact=1`), so links to the list keep working."""

    class YesNoFilter(admin.SimpleListFilter):
        parameter_name = f"{field}__exact"

        def lookups(self, request, model_admin):
            return [("1", yes), ("0", no)]

        def queryset(self, request, queryset):
            if self.value() in ("0", "1"):
                return queryset.filter(**{field: self.value() == "1"})
            return queryset

    YesNoFilter.title = title
    return YesNoFilter


class ConsoleAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        """A list, as shown (GET), reads a replica when one is healthy (core/replicas.py):
        never a page that acts, whose rows are then written to the primary."""
        queryset = super().get_queryset(request)
        match = getattr(request, "resolver_match", None)
        if request.method == "GET" and match is not None and (match.url_name or "").endswith("_changelist"):
            return queryset.using(read_alias())
        return queryset

    def list_title(self, request) -> str:
        return capfirst(self.model._meta.verbose_name_plural)

    def object_label(self, obj) -> str:
        """The words for `obj` in its page's title and breadcrumbs."""
        return str(obj)

    def changelist_view(self, request, extra_context=None):
        refused = self._refused_action(request)
        if refused is not None:
            messages.error(request, refused)
            return redirect(request.get_full_path())
        return super().changelist_view(request, {"title": self.list_title(request), **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        named = {"title": capfirst(self.opts.verbose_name), "subtitle": self.object_label(obj)} if obj else {}
        return super().change_view(request, object_id, form_url, {**named, **(extra_context or {})})

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        named = {"title": f"History of {self.object_label(obj)}"} if obj is not None else {}
        return super().history_view(request, object_id, {**named, **(extra_context or {})})

    def _refused_action(self, request) -> str | None:
        """What to say when the list is asked for a bulk action this operator may not take (the
        admin leaves it out of the menu, and would otherwise ignore the request silently)."""
        if request.method != "POST" or not self.has_view_or_change_permission(request):
            return None
        try:
            name = request.POST.getlist("action")[int(request.POST.get("index", 0))]
        except (IndexError, ValueError):
            return None
        if name in self.get_actions(request):
            return None
        for _, action_name, description in self._get_base_actions():
            if action_name == name:
                what = str(description) % model_format_dict(self.opts)
                what = what[:1].lower() + what[1:]
                if request.user.is_superuser:
                    return f"Nobody may {what} here: nothing was changed."
                return f"Your role may not {what}: nothing was changed."
        return None


class ReadOnlyAdmin(ConsoleAdmin):
    """A record nobody adds, changes or deletes from the console, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def history_view(self, request, object_id, extra_context=None):
        """Nothing here is edited in the admin, so it has no admin history: what operators did
        is in the audit log."""
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", object_id)
