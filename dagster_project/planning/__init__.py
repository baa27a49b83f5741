"""QA sampling from the plan marts: tomorrow's review sample (``trustqa sample``) and the week's plan (``trustqa plan``).

``frame`` reads the cases and plan rows, ``quotas`` and ``allocation`` decide
how many cases each stratum gets, ``draw`` picks them reproducibly,
``sample_table`` and ``sample_csv`` write them; ``plan_report`` words the
week's plan. docs/sampling.md describes the commands.
"""
