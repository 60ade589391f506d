"""The minimum password policy shared by the server, the console and the phone: long enough, not one of the
commonest passwords, not the username. Passwords are kept exactly as typed (never stripped)."""

from __future__ import annotations

from rulebook.messages import RuleViolation

MIN_LENGTH = 8

# The commonest passwords of leaked lists (global and Chinese), at least MIN_LENGTH long, compared lowercased.
COMMON_PASSWORDS = frozenset(
    """
    12345678 123456789 1234567890 0123456789 87654321 11111111 00000000 88888888 66666666 99999999 12341234
    11223344 12344321 123123123 147258369 123456789a a123456789 1234567a 12345678a 1q2w3e4r 1qaz2wsx qwertyui
    qwertyuiop qwerty123 qwe12345 asdfghjk asdfghjkl zxcvbnm1 zxcvbnm123 password password1 password123
    passw0rd p@ssw0rd p@ssword admin123 admin1234 administrator iloveyou iloveyou1 woaini1314 woaini520
    5201314520 13145201314 aa123456 abc12345 abcd1234 abc123456 abcdefgh 1234qwer qwer1234 letmein1
    welcome1 welcome123 sunshine princess football baseball dragon12 monkey12 superman trustno1 changeme
    12qwaszx q1w2e3r4 q1w2e3r4t5 1a2b3c4d a1b2c3d4 computer internet 123654789 789456123 741852963 159357123
    123qweasd qweasdzxc 1qazxsw2 zaq12wsx saferound saferound1 saferound123 anquan123 shequ123
    """.split()
)


def password_problem(password: str, username: str | None = None) -> RuleViolation | None:
    """Why this password may not be used, or None. Length is checked by the input schema as well."""
    if len(password) < MIN_LENGTH or password.lower() in COMMON_PASSWORDS or len(set(password)) <= 2:
        return RuleViolation("password_too_weak", min_length=MIN_LENGTH)
    if username and len(username) >= 3 and username.lower() in password.lower():
        return RuleViolation("password_is_username")
    return None
