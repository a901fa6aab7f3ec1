from __future__ import annotations

from django import forms

from dosewise.clinical.models import Diagnosis, Encounter
from dosewise.clinical.services import SECTION_FIELDS


class EncounterForm(forms.ModelForm):
    class Meta:
        model = Encounter
        fields = ["kind", "mode", "occurred_on", *SECTION_FIELDS]
        widgets = {
            "occurred_on": forms.DateInput(attrs={"type": "date"}),
            **{field: forms.Textarea(attrs={"rows": 3}) for field in SECTION_FIELDS},
        }
        labels = {
            "occurred_on": "Date",
            "mental_status_exam": "Mental status examination",
            "social_history": "Social history and lifestyle",
        }

    def _post_clean(self) -> None:
        # Date rules belong to the service.
        pass


class DiagnosisForm(forms.Form):
    code = forms.CharField(
        label="ICD-10-CM code",
        max_length=8,
        help_text="Search by words or code below, then pick one result.",
    )
    status = forms.ChoiceField(
        choices=[c for c in Diagnosis.Status.choices if c[0] != Diagnosis.Status.ENTERED_IN_ERROR],
        initial=Diagnosis.Status.ACTIVE,
    )
    onset_on = forms.DateField(
        label="Onset", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DiagnosisStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[c for c in Diagnosis.Status.choices if c[0] != Diagnosis.Status.ENTERED_IN_ERROR]
    )


class AddendumForm(forms.Form):
    text = forms.CharField(label="Addendum", widget=forms.Textarea(attrs={"rows": 3}))
