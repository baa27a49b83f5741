"""Every rate and size of the synthetic world, in one place (documented in SHAPE.md).

Volumes are per day at ``scale=1`` (about 1,000,000 orders and 100,000 tickets
over 365 days) and multiply by ``scale``. Probabilities are plain shares.
"""

from __future__ import annotations

from dagster_project.contract import CATEGORIES, POLICIES

# ---- volumes (scale = 1) ----------------------------------------------------
INITIAL_USERS = 100_000  # existing users at the start (bootstrap dump in the first file)
SIGNUPS_PER_DAY = 250
ORDERS_PER_DAY = 2_740
ORDERS_PER_SHOW = 22  # mean orders per live show
LIVE_ORDER_SHARE = 0.85  # orders placed during a live show (the rest: plain listings)
REPORTS_PER_USER_DAY = 0.0025  # reports per existing user per day
ACTIONS_PER_USER_DAY = 0.002  # enforcement actions per existing user per day (0.2 %)
TICKETS_PER_DAY = 230  # tickets outside the appeals queue (appeal tickets add ~15 % on top)
AGENTS_AT_SCALE_1 = 90  # roster size = max(MIN_AGENTS, AGENTS_AT_SCALE_1 * scale ** 0.75)
MIN_AGENTS = 28
MIN_QA_REVIEWERS = 5

# Day-of-week factors (Monday first) and a gentle growth (0.9x -> 1.1x over a year).
WEEKDAY_FACTOR = (0.92, 0.95, 0.98, 1.0, 1.03, 1.04, 1.08)
GROWTH_PER_YEAR = 0.2

# ---- users --------------------------------------------------------------------
BOOTSTRAP_SELLER_SHARE = 0.09
SIGNUP_SELLER_SHARE = 0.03  # new users who sign up as sellers
LATER_SELLER_SHARE = 0.04  # new users who become sellers some weeks later
RISKY_USER_SHARE = 0.025  # bad actors (hidden): more reports, actions, disputes
RISKY_SELLER_SHARE = 0.08
EMAIL_VERIFIED_SHARE = 0.85
BUYER_ID_VERIFIED_SHARE = 0.08
SELLER_ID_VERIFIED_SHARE = 0.9
TOP_TIER_SHARE = 0.25  # of established sellers, who later reach ``top``
COUNTRIES = ("US", "CA", "GB", "AU", "DE", "MX", "FR", "JP", "BR", "IE", "NL", "ES", "PH", "IN")
COUNTRY_SHARE = (0.62, 0.08, 0.07, 0.04, 0.03, 0.03, 0.02, 0.02, 0.02, 0.015, 0.015, 0.015, 0.015, 0.015)
CATEGORY_SHARE = dict(
    zip(CATEGORIES, (0.24, 0.2, 0.16, 0.06, 0.08, 0.05, 0.04, 0.05, 0.04, 0.04, 0.02, 0.02), strict=True)
)

# ---- orders -------------------------------------------------------------------
MEDIAN_AMOUNT_USD = dict(zip(CATEGORIES, (25, 40, 180, 420, 65, 20, 55, 30, 150, 45, 28, 25), strict=True))
PAYMENT_SHARE = (0.7, 0.22, 0.08)  # card, wallet, bank
CANCEL_SHARE = 0.065
CANCELLED_BY_SHARE = (0.45, 0.35, 0.2)  # buyer, seller, system
REFUND_SHARE = 0.017  # refunds outside disputes (buyer-won disputes add ~0.8 %)
DISPUTE_SHARE = 0.015  # of orders that were not cancelled
RISKY_SELLER_DISPUTE_FACTOR = 5.0
DISPUTE_KIND_SHARE = (0.2, 0.35, 0.3, 0.15)  # chargeback, item_not_received, not_as_described, counterfeit_claim
BUYER_WIN_SHARE = 0.55

# ---- trust ----------------------------------------------------------------------
REPORT_REASON_SHARE = (0.25, 0.15, 0.15, 0.12, 0.1, 0.1, 0.13)  # POLICIES + other
REPORT_RECLASSIFIED_SHARE = 0.04
DETECTION_SHARE = (0.45, 0.35, 0.2)  # automated, user_report, proactive_agent
AUTOMATED_DECIDED_BY_AUTOMATION = 0.8  # automated detections decided without an agent
ACTION_TYPES = ("warning", "listing_removal", "show_termination", "suspension", "ban")
# action type mix per policy (rows follow POLICIES)
ACTION_TYPE_SHARE = {
    "counterfeit": (0.2, 0.5, 0.05, 0.15, 0.1),
    "fraud": (0.1, 0.1, 0.05, 0.4, 0.35),
    "harassment": (0.5, 0.0, 0.1, 0.3, 0.1),
    "prohibited_item": (0.2, 0.65, 0.0, 0.1, 0.05),
    "shill_bidding": (0.4, 0.0, 0.25, 0.25, 0.1),
    "off_platform_payment": (0.55, 0.15, 0.0, 0.25, 0.05),
}
POLICY_SHARE = dict(zip(POLICIES, (0.3, 0.2, 0.15, 0.15, 0.1, 0.1), strict=True))
APPEAL_SHARE = dict(zip(ACTION_TYPES, (0.12, 0.25, 0.3, 0.45, 0.55), strict=True))
LEVEL1_OUTCOME_SHARE = (0.76, 0.16, 0.08)  # upheld, overturned, partially_overturned
AUTOMATED_OVERTURN_BOOST = 1.5  # automated decisions are overturned more often
LEVEL2_SHARE = 0.18  # of upheld level-1 appeals
LEVEL2_OUTCOME_SHARE = (0.8, 0.12, 0.08)
LEVEL1_DECISION_MEDIAN_H, LEVEL1_DECISION_SIGMA = 20.0, 0.9  # ~83 % within the 48 h target
LEVEL2_DECISION_MEDIAN_H, LEVEL2_DECISION_SIGMA = 30.0, 0.8  # ~86 % within the 72 h target
SUSPENSION_DAYS = (7, 30)
QA_CORRECTION_SHARE = 0.6  # of audited actions found wrong (and not reversed by an appeal)

# ---- support -------------------------------------------------------------------
QUEUE_SHARE = (0.25, 0.16, 0.0, 0.59)  # trust_safety, fraud, appeals (from appeals), general
APPEAL_TICKET_SHARE = 0.4  # appeals that come with a ticket in the appeals queue
CHANNEL_SHARE = (0.4, 0.35, 0.25)  # email, chat, web_form
PRIORITY_SHARE = (0.2, 0.55, 0.18, 0.07)  # low, normal, high, urgent
NULL_PRIORITY_SHARE = 0.015
FIRST_REPLY_MEDIAN_H = (20.0, 9.0, 1.8, 0.4)  # by priority; sigma 0.9 (~85 % within target)
PENDING_SHARE = 0.55
CUSTOMER_REPLY_SHARE = 0.7  # of pending tickets
REASSIGN_SHARE = 0.2
REQUEUE_SHARE = 0.06
PRIORITY_BUMP_SHARE = 0.08
UNANSWERED_SHARE = 0.02  # never replied nor solved within the horizon
SOLVED_WITHOUT_REPLY_SHARE = 0.02
CLOSE_AFTER_SOLVED_H = 96
RATED_SHARE = 0.27  # of solved tickets
RATING_SCORE_SHARE = (0.08, 0.04, 0.06, 0.2, 0.62)  # scores 1..5
RATING_UNANSWERED_SHARE = 0.04  # rating rows without a score (offered, not answered)
RATING_COMMENT_SHARE = 0.4
RATING_EDIT_SHARE = 0.06
SECOND_RATING_SHARE = 0.015

# ---- QA -----------------------------------------------------------------------------
QA_TICKET_RANDOM = 0.04
QA_TICKET_STRATIFIED = 0.05  # extra for trust_safety / fraud / appeals queues
QA_TICKET_TARGETED = 0.3  # of tickets rated 1-2
QA_ACTION_RANDOM = 0.05  # of agent-decided actions
QA_ACTION_TARGETED = 0.4  # of agent-decided actions overturned on appeal
QA_APPEAL_RANDOM = 0.08
QA_APPEAL_STRATIFIED = 0.25  # of level-2 appeals
QA_EDIT_SHARE = 0.04
CALIBRATION_WEEKDAY = 1  # Tuesday
CALIBRATION_REVIEWERS = (3, 5)
CALIBRATION_CASES = (5, 10)
QA_REVIEWERS_PER_SESSION = 8  # one weekly session per this many QA reviewers
RUBRIC_SWITCH_DATE = "2027-03-01"  # rubric v3 before, v4 from this date
