{#-
    How an incremental run of dim_user_risk_current refreshes the users whose
    features can have changed (docs/metrics.md "Risk features", "How the
    current risk profile is refreshed").

    A user's features as of the new as-of day D differ from those stored as
    of the previous one P only when
      - a version of one of their records became known, or stopped being
        the known one, after P (known_from_day > P or known_to_day > P):
        new and corrected users, orders (buyer and seller of every version),
        disputes (the buyer and seller of the disputed order), reports,
        enforcement actions and tickets;
      - an event enters or leaves one of their windows between P and D (its
        day in [P - N + 1, D - N] leaves the N-day window, in [P + 1, D]
        enters it), for the 30-, 90- and 365-day windows each feature reads;
      - one of their actions is reversed after P (reversed_at in (P, D]);
      - their account age crosses a threshold of a risk_tier_rules row on
        account_age_days (its tier can change with age alone).
    Every other user keeps their row; their as_of_day and account_age_days
    move to D (the post-hook user_risk_age_kept_rows), the only features that
    change with the day alone.

    This holds only when nothing dated P or earlier changed: a run
    recomputes every user when the table is new or from an earlier trustqa
    (no watermark), when an input version of an export day <= P was loaded
    after the table's watermark (a late or re-delivered file), when the
    risk_tier_rules seed changed (its fingerprint differs from the one the
    rows carry) or when D is before P. `dbt build --full-refresh` rebuilds.

    A run of the same as-of day with no input version loaded after the
    table's watermark (a nightly run again with nothing new) can change no
    user: it keeps every row without searching the histories.
-#}

{#- The history models the features read (each has export_date and _loaded_at). -#}
{% macro user_risk_inputs() -%}
    {{ return([
        'int_users_history', 'int_orders_history', 'int_disputes_history',
        'int_reports_history', 'int_enforcement_actions_history', 'int_tickets_history',
    ]) }}
{%- endmacro %}


{#-
    The refresh of the current run, from the target as it is before the run:
    none when every user is recomputed (see the header), else a dict
    {previous_day: P, as_of_day: D, nothing_new: bool} (P and D
    datetime.date; nothing_new: D = P and no input version was loaded after
    the watermark). Called by the model and by its pre-hook, both before the
    target changes, so both agree.
-#}
{% macro user_risk_refresh_plan() -%}
    {%- if not incremental_with_columns(['_inputs_loaded_at', '_risk_rules_fingerprint']) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set plan_query -%}
        with

        built as (
            select
                max(as_of_day) as previous_day,
                max(_inputs_loaded_at) as loaded_through,
                count(distinct _risk_rules_fingerprint) as fingerprints,
                max(_risk_rules_fingerprint) as rules_fingerprint
            from {{ this }}
        ),

        -- versions loaded after the watermark, and those of them for a day <= P
        new_loads as (
            {%- for input_name in user_risk_inputs() %}
            select
                count(*) as versions,
                count(case when export_date <= (select previous_day from built) then 1 end) as late_versions
            from {{ ref(input_name) }}
            where _loaded_at > (select loaded_through from built)
            {%- if not loop.last %}
            union all
            {%- endif %}
            {%- endfor %}
        )

        select
            cast(built.previous_day as varchar) as previous_day,
            cast(run_as_of.as_of_day as varchar) as as_of_day,
            case
                when built.previous_day is null or built.loaded_through is null then 'no watermark'
                when run_as_of.as_of_day < built.previous_day then 'as-of day moved back'
                when (select sum(late_versions) from new_loads) > 0 then 'late or re-delivered export'
                when built.fingerprints <> 1
                    or built.rules_fingerprint <> {{ relation_fingerprint(ref('risk_tier_rules')) }} then 'risk_tier_rules changed'
            end as recompute_all_because,
            run_as_of.as_of_day = built.previous_day
            and (select sum(versions) from new_loads) = 0 as nothing_new
        from built
        cross join {{ ref('int_run_as_of') }} as run_as_of
    {%- endset -%}
    {%- set row = run_query(plan_query).rows[0] -%}
    {%- if row[2] is not none -%}
        {{ log(this ~ ": every user recomputed (" ~ row[2] ~ ")", info=True) }}
        {{ return(none) }}
    {%- endif -%}
    {%- if row[3] -%}
        {{ log(this ~ ": nothing new since its last build, every row kept", info=True) }}
    {%- endif -%}
    {{ return({
        'previous_day': modules.datetime.date.fromisoformat(row[0]),
        'as_of_day': modules.datetime.date.fromisoformat(row[1]),
        'nothing_new': row[3],
    }) }}
{%- endmacro %}


{#- True when the history row `alias` became or stopped being the known version after `previous_day`. -#}
{% macro known_changed_after(alias, previous_day) -%}
    ({{ alias }}.known_from_day > {{ date_literal(previous_day) }}
        or {{ alias }}.known_to_day > {{ date_literal(previous_day) }})
{%- endmacro %}


{#-
    True when day `day_expression` enters or leaves the N-day window ending
    at the as-of day, between the plan's two as-of days.
-#}
{% macro crosses_window(day_expression, days, plan) -%}
    {%- set leaves_from = plan.previous_day - modules.datetime.timedelta(days=days - 1) -%}
    {%- set leaves_to = plan.as_of_day - modules.datetime.timedelta(days=days) -%}
    {%- set enters_from = plan.previous_day + modules.datetime.timedelta(days=1) -%}
    ({{ day_expression }} between {{ date_literal(leaves_from) }} and {{ date_literal(leaves_to) }}
        or {{ day_expression }} between {{ date_literal(enters_from) }} and {{ date_literal(plan.as_of_day) }})
{%- endmacro %}


{#- The user ids whose features can differ between the plan's two days (see the header). -#}
{% macro user_risk_changed_users(plan) -%}
    {%- set p = plan.previous_day -%}
    select users.user_id
    from {{ ref('int_users_history') }} as users
    where {{ known_changed_after('users', p) }}

    union

    -- account age crossing an account_age_days threshold of a rule
    select users.user_id
    from {{ ref('int_users_history') }} as users
    inner join (
        select elevated_at as threshold from {{ ref('risk_tier_rules') }} where feature = 'account_age_days'
        union all
        select high_at from {{ ref('risk_tier_rules') }} where feature = 'account_age_days'
        union all
        select min_sample from {{ ref('risk_tier_rules') }} where min_sample_feature = 'account_age_days'
    ) as age_thresholds
        on
            {{ dbt.datediff('cast(users.signup_at as date)', date_literal(p), 'day') }} < age_thresholds.threshold
            and {{ dbt.datediff('cast(users.signup_at as date)', date_literal(plan.as_of_day), 'day') }}
            >= age_thresholds.threshold

    union

    select orders.buyer_id
    from {{ ref('int_orders_history') }} as orders
    where
        {{ known_changed_after('orders', p) }}
        or {{ crosses_window('cast(orders.placed_at as date)', 30, plan) }}

    union

    select orders.seller_id
    from {{ ref('int_orders_history') }} as orders
    where
        {{ known_changed_after('orders', p) }}
        or {{ crosses_window('cast(orders.placed_at as date)', 30, plan) }}
        or {{ crosses_window('cast(orders.placed_at as date)', 90, plan) }}

    union

    -- a dispute reaches the buyer (chargebacks) and the seller (disputed sold orders) of every
    -- version of its order; the disputes are filtered before they meet the orders (a union of
    -- every order's buyer and seller pairs first took 3.6 s of the 3.7 s search at scale 10)
    {%- for role in ('buyer_id', 'seller_id') %}
    select orders.{{ role }}
    from {{ ref('int_disputes_history') }} as disputes
    inner join {{ ref('int_orders_history') }} as orders
        on disputes.order_id = orders.order_id
    where
        {{ known_changed_after('disputes', p) }}
        or {{ crosses_window('cast(disputes.opened_at as date)', 90, plan) }}

    union
    {%- endfor %}

    select reports.reported_user_id
    from {{ ref('int_reports_history') }} as reports
    where
        {{ known_changed_after('reports', p) }}
        or {{ crosses_window('cast(reports.created_at as date)', 30, plan) }}

    union

    select actions.user_id
    from {{ ref('int_enforcement_actions_history') }} as actions
    where
        {{ known_changed_after('actions', p) }}
        or {{ crosses_window('cast(actions.created_at as date)', 30, plan) }}
        or {{ crosses_window('cast(actions.created_at as date)', 365, plan) }}
        or cast(actions.reversed_at as date) between {{ date_literal(p + modules.datetime.timedelta(days=1)) }}
        and {{ date_literal(plan.as_of_day) }}

    union

    select tickets.requester_user_id
    from {{ ref('int_tickets_history') }} as tickets
    where
        {{ known_changed_after('tickets', p) }}
        or {{ crosses_window('cast(tickets.created_at as date)', 30, plan) }}
{%- endmacro %}


{#-
    Pre-hook: a run that recomputes every user on an existing table first
    empties it, so a user no longer known (a re-delivered users file) leaves
    no row behind. A run that refreshes some users keeps the table.
-#}
{% macro user_risk_clear_for_full_recompute() -%}
    {%- if execute and is_incremental() and user_risk_refresh_plan() is none -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}


{#-
    Post-hook: the rows a run kept move to the run's as-of day: their
    account_age_days grows by the days between (null stays null).
-#}
{% macro user_risk_age_kept_rows() -%}
    {%- if execute -%}
        {%- set as_of_query -%}
            select cast(as_of_day as varchar) from {{ ref('int_run_as_of') }}
        {%- endset -%}
        {%- set as_of_value = run_query(as_of_query).rows[0][0] -%}
    {%- endif -%}
    {%- if execute and as_of_value is not none -%}
        {%- set as_of_day = date_literal(as_of_value) -%}
        update {{ this }}
        set
            account_age_days = account_age_days + {{ dbt.datediff('as_of_day', as_of_day, 'day') }},
            as_of_day = {{ as_of_day }}
        where as_of_day <> {{ as_of_day }}
    {%- endif -%}
{%- endmacro %}
