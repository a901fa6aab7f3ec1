from __future__ import annotations

from django import forms

from dosewise.patients.models import Allergy, Patient
from dosewise.patients.services import DEMOGRAPHIC_FIELDS


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = DEMOGRAPHIC_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "address": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "sex_at_birth": "Sex assigned at birth",
            "height_cm": "Height (cm)",
            "weight_kg": "Weight (kg)",
            "lactation_status": "Breastfeeding",
        }

    def _post_clean(self) -> None:
        # Model-level checks (MRN uniqueness in the organization, dates) belong to the service.
        pass


class AllergyForm(forms.ModelForm):
    class Meta:
        model = Allergy
        fields = ["substance", "category", "type", "reaction", "severity"]


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        required=False, max_length=100, label="Search by name, MRN or date of birth"
    )
