# Empty dependencies file for slatectl.
# This may be replaced when dependencies are built.
