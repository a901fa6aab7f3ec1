"""`field.html`, the one template every form field is drawn with: each input is named by its
label, each group of radio buttons or checkboxes by its legend, and the help text carries the id
the input's aria-describedby points at (Django's "<id>_helptext")."""

from __future__ import annotations

from django import forms
from django.template.loader import render_to_string


class SampleForm(forms.Form):
    reason = forms.CharField(label="Reason", help_text="Why, in a sentence.")
    mode = forms.ChoiceField(
        label="Mode",
        choices=[("in-person", "In person"), ("telehealth", "Telehealth")],
        widget=forms.RadioSelect,
    )
    days = forms.MultipleChoiceField(
        label="Days",
        required=False,
        choices=[("mon", "Monday"), ("tue", "Tuesday")],
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick any.",
    )
    agrees = forms.BooleanField(label="Agrees", required=False)


def draw(name: str) -> str:
    return render_to_string("field.html", {"field": SampleForm()[name]})


def test_text_input_is_named_by_its_label_and_described_by_its_help() -> None:
    html = draw("reason")
    assert '<label for="id_reason">Reason' in html
    assert 'aria-describedby="id_reason_helptext"' in html
    assert '<small class="help" id="id_reason_helptext">Why, in a sentence.</small>' in html


def test_radio_buttons_are_a_fieldset_named_by_a_legend() -> None:
    html = draw("mode")
    assert '<fieldset class="choices">' in html
    assert '<legend>Mode <span class="req" aria-label="required">*</span></legend>' in html
    assert 'for=""' not in html
    assert '<label for="id_mode_1">' in html  # each radio keeps its own label


def test_checkbox_list_fieldset_is_described_by_its_help() -> None:
    html = draw("days")
    assert '<fieldset class="choices" aria-describedby="id_days_helptext">' in html
    assert "<legend>Days</legend>" in html
    assert '<small class="help" id="id_days_helptext">Tick any.</small>' in html


def test_single_checkbox_stays_inside_its_label() -> None:
    html = draw("agrees")
    assert "<fieldset" not in html
    assert '<label><input type="checkbox" name="agrees" id="id_agrees"> Agrees</label>' in html
