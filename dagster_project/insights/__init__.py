"""Reading the shift and spike marts for people: plain-words reports and the warning checks in the Dagster UI."""
