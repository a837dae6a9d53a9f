"""Invite tokens: long enough, URL-safe, never mistaken for a command-line option."""

import hashlib

from bankon_cli.services.tokens import new_token, token_from_link_or_token, token_hash


def test_new_token_has_at_least_128_bits_and_is_url_safe():
    token = new_token()
    assert len(token) >= 22  # 22 base64url characters carry 132 bits
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_new_token_never_starts_with_a_dash():
    # Without the guard about one token in 64 starts with "-", and `bankon register -…`
    # would read it as an option: 4000 draws would show about 60 of them.
    assert not any(new_token().startswith("-") for _ in range(4000))


def test_token_hash_is_sha256_hex():
    assert token_hash("abc") == hashlib.sha256(b"abc").hexdigest()


def test_token_is_taken_from_the_whole_link():
    assert token_from_link_or_token("https://portal.example/register?token=AbC_1-x") == "AbC_1-x"
    assert token_from_link_or_token("  AbC_1-x \n") == "AbC_1-x"
