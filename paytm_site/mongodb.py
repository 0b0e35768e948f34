"""What django-mongodb-backend documents for a project, applied only when DATABASE_URL is
mongodb://…: ObjectId primary keys, contrib apps configured for them, and migrations
generated for MongoDB (mongo_migrations/). SQLite and PostgreSQL never see any of this."""

from urllib.parse import urlsplit

from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig

from paytm_site.apps import OperationsAdminConfig

OBJECT_ID_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
DEFAULT_DATABASE_NAME = "wallet"

CONTRIB_APP_CONFIGS = {
    "paytm_site.apps.OperationsAdminConfig": "paytm_site.mongodb.MongoAdminConfig",
    "django.contrib.auth": "paytm_site.mongodb.MongoAuthConfig",
    "django.contrib.contenttypes": "paytm_site.mongodb.MongoContentTypesConfig",
}
MIGRATION_MODULES = {
    "admin": "mongo_migrations.admin",
    "auth": "mongo_migrations.auth",
    "contenttypes": "mongo_migrations.contenttypes",
    "users": "mongo_migrations.users",
    "accounts": "mongo_migrations.accounts",
}


class MongoAdminConfig(OperationsAdminConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoAuthConfig(AuthConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


def is_mongodb_url(url: str) -> bool:
    return url.split(":", 1)[0].lower() in {"mongodb", "mongodb+srv"}


def mongodb_database(url: str) -> dict:
    """The connection string goes to HOST as the backend documents; the database name is
    the URL's path (mongodb://host/wallet?replicaSet=rs0), "wallet" when it has none."""
    name = urlsplit(url).path.lstrip("/") or DEFAULT_DATABASE_NAME
    return {"ENGINE": "django_mongodb_backend", "HOST": url, "NAME": name}


def mongodb_installed_apps(apps: list[str]) -> list[str]:
    return [CONTRIB_APP_CONFIGS.get(app, app) for app in apps]
