from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dosewise.accounts"
    label = "accounts"
    verbose_name = "Accounts and organizations"
