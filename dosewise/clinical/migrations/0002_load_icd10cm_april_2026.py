"""Fill the compact ICD-10-CM table from the simple-icd-10-cm package (April 1 2026 code set).

The package is imported here only, once, at migrate time (it costs ~1.4 s and ~190 MB), so
web processes validate and search codes with an indexed table instead.
"""

from django.db import migrations

BATCH = 5000


def load_codes(apps, schema_editor):
    import simple_icd_10_cm as icd

    Icd10CmCode = apps.get_model("clinical", "Icd10CmCode")
    rows = []
    for code in icd.get_all_codes(True):
        if icd.is_chapter_or_block(code):
            continue
        description = icd.get_description(code)
        rows.append(
            Icd10CmCode(
                code=code,
                description=description,
                is_billable=icd.is_leaf(code),
                search_text=f"{code} {description}".lower(),
            )
        )
    Icd10CmCode.objects.bulk_create(rows, batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("clinical", "0001_initial")]

    operations = [migrations.RunPython(load_codes, migrations.RunPython.noop)]
