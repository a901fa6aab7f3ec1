"""Fill the compact ICD-10-CM table (CDC/NCHS code set of April 1 2026, via simple-icd-10-cm).

Web processes then validate and search codes with an indexed table and never import the
package (about 1.4 s and 190 MB).
"""

from django.db import migrations


def load_codes(apps, schema_editor):
    from dosewise.clinical.icd10_codeset import load_into

    load_into(apps.get_model("clinical", "Icd10CmCode"))


class Migration(migrations.Migration):
    dependencies = [("clinical", "0001_initial")]

    operations = [migrations.RunPython(load_codes, migrations.RunPython.noop)]
