"""Derived (inherited) values: the rules, their SQL twin (the effective filter), the effects of
a change."""
