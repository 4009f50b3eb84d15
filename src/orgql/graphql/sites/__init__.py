"""Site organization properties: types, input and the update mutation."""
