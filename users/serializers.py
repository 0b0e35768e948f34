"""Input and output shapes of the user endpoints, in the contract's camelCase."""

from rest_framework import serializers

from core.text import clean_name
from users.exceptions import MESSAGE_INVALID_NAME
from users.models import NAME_MAX_LENGTH

PASSWORD_MAX_LENGTH = 128


class NameField(serializers.CharField):
    """A person's name, by the one rule for names (core.text.clean_name), normalised."""

    def __init__(self, **kwargs):
        super().__init__(min_length=1, max_length=NAME_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data):
        name = clean_name(super().to_internal_value(data))
        if name is None:
            raise serializers.ValidationError(MESSAGE_INVALID_NAME)
        return name


def name_field(**kwargs):
    return NameField(**kwargs)


def password_field(**kwargs):
    return serializers.CharField(
        max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, style={"input_type": "password"}, **kwargs
    )


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not declare, so nothing unexpected is silently ignored."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["This field is not writable."] for name in unknown})
        return super().to_internal_value(data)


class SignupInputSerializer(serializers.Serializer):
    username = serializers.EmailField(max_length=254, help_text="Email address; case does not matter.")
    firstName = name_field()
    lastName = name_field()
    password = password_field()


class SignupOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    token = serializers.CharField()
    refresh = serializers.CharField()
    userId = serializers.CharField()


class SigninInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254)
    password = password_field()


class TokenPairSerializer(serializers.Serializer):
    token = serializers.CharField()
    refresh = serializers.CharField()


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class AccessTokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class UserUpdateInputSerializer(StrictSerializer):
    firstName = name_field(required=False)
    lastName = name_field(required=False)
    password = password_field(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send at least one of firstName, lastName, password.")
        return attrs


class PersonSerializer(serializers.Serializer):
    """A person as others see them: no email, no internal id. Output only, from search's
    rows (dicts): the fields say what the schema shows, and `to_representation` writes
    the same thing directly, since search sends up to 100 of them per answer and DRF's
    per-field machinery cost more than the query (tests/users/test_api.py pins the two equal)."""

    _id = serializers.CharField(source="public_id")
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")

    def to_representation(self, person):
        return {"_id": str(person["public_id"]), "firstName": person["first_name"], "lastName": person["last_name"]}


class UserSearchOutputSerializer(serializers.Serializer):
    users = PersonSerializer(many=True)
    user = PersonSerializer(many=True, help_text="The same list under the original app's key.")
    next = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for the next page.")


class MeSerializer(serializers.Serializer):
    """The caller's own profile: the one place their email (`username`) is shown."""

    _id = serializers.CharField(source="public_id")
    username = serializers.CharField(source="email")
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")


class SignoutInputSerializer(StrictSerializer):
    refresh = serializers.CharField(required=False, max_length=4096, help_text="This refresh token stops working.")
    everywhere = serializers.BooleanField(
        required=False, default=False, help_text="Every token issued before now stops working, access tokens included."
    )
