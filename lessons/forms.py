from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from lessons.catalogue import SelfCheck


class SignupForm(UserCreationForm):
    """Username and password; every new account is a student (see lessons/roles.py)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})


class SelfCheckForm(forms.Form):
    choice = forms.TypedChoiceField(
        coerce=int, widget=forms.RadioSelect, error_messages={"required": _("Choose an answer first.")}
    )

    def __init__(self, *args: object, self_check: SelfCheck, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["choice"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(str(choice.index), choice.index) for choice in self_check.choices]
        field.error_messages["invalid_choice"] = _("Choose one of the answers listed.")
