"""The staff admin's page for fullmakt (clinic.Proxy): the clinic registers one from a form the giver signed,
and ends one, through representation's services (the same rules, audit and notices as online). A fullmakt
is never edited or deleted: it is ended, and a new one registered. Lists show masked national ids."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eportal.clinic.models import Proxy
from eportal.identity.national_id import masked

from .services.proxies import ProxyError, check_new_proxy, end_proxy_for_clinic, register_proxy_for_clinic

ADD_FIELDS = ("giver", "proxy_national_id", "proxy_name", "valid_until")


class ProxyAddForm(forms.ModelForm):
    """A fullmakt from a signed form: the rules of check_new_proxy shown on the form before anything is saved
    (register_proxy_for_clinic checks them again)."""

    class Meta:
        model = Proxy
        fields = ADD_FIELDS

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                check_new_proxy(
                    giver=cleaned.get("giver"),
                    proxy_national_id=cleaned.get("proxy_national_id", ""),
                    proxy_name=cleaned.get("proxy_name", ""),
                    valid_until=cleaned.get("valid_until"),
                )
            except ProxyError as exc:
                raise ValidationError(str(exc), code=exc.code) from None
        return cleaned


class InForceFilter(admin.SimpleListFilter):
    title = gettext_lazy("in force")
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]

    def queryset(self, request, queryset):
        in_force = Proxy.objects.in_force().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=in_force)
        if self.value() == "no":
            return queryset.exclude(pk__in=in_force)
        return queryset


@admin.register(Proxy)
class ProxyAdmin(admin.ModelAdmin):
    list_display = (
        "giver",
        "masked_giver_national_id",
        "proxy_name",
        "masked_proxy_national_id",
        "valid_from",
        "valid_until",
        "source",
        "ended_at",
    )
    list_filter = (InForceFilter, "source")
    list_select_related = ("giver",)
    search_fields = ("=proxy_national_id", "=giver__national_id", "giver__last_name", "proxy_name")
    autocomplete_fields = ("giver",)
    actions = ["end_selected"]
    show_full_result_count = False

    @admin.display(description=gettext_lazy("national identity number of the giver"))
    def masked_giver_national_id(self, obj):
        return masked(obj.giver.national_id)

    @admin.display(description=gettext_lazy("national identity number of the proxy"))
    def masked_proxy_national_id(self, obj):
        return masked(obj.proxy_national_id)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ProxyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ADD_FIELDS
        return (*ADD_FIELDS[:3], "valid_from", "valid_until", "source", "created_at", "ended_at")

    def has_change_permission(self, request, obj=None):
        return False  # ended, never edited: the change page is a read-only view

    def has_delete_permission(self, request, obj=None):
        return False  # the history stays

    def has_end_permission(self, request):
        return request.user.has_perm("clinic.change_proxy")

    def save_model(self, request, obj, form, change):
        """Register through the service (rules, audit and notices), then show the row it made."""
        made = register_proxy_for_clinic(
            actor=request.actor,
            giver_id=obj.giver_id,
            proxy_national_id=obj.proxy_national_id,
            proxy_name=obj.proxy_name,
            valid_until=obj.valid_until,
        )
        for field in Proxy._meta.concrete_fields:
            setattr(obj, field.attname, getattr(made, field.attname))
        obj._state.adding = False

    @admin.action(description=gettext_lazy("End the selected powers of attorney"), permissions=["end"])
    def end_selected(self, request, queryset):
        ended = refused = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                end_proxy_for_clinic(actor=request.actor, proxy_id=pk)
            except ProxyError:
                refused += 1  # no longer in force
            else:
                ended += 1
        if ended:
            self.message_user(request, _("Powers of attorney ended: %(count)d.") % {"count": ended}, messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                _("Not ended, as they were no longer in force: %(count)d.") % {"count": refused},
                messages.WARNING,
            )
