"""assay.stats: honest intervals, paired comparisons, many models at once, power.

Pure functions on arrays that return frozen result dataclasses (DESIGN.md, STYLE.md): one score
(proportions, means, bootstrap, clustered, repeated samples), A against B (`compare`), many models
(`pairwise`, `leaderboard`, `rank_intervals`, omnibus tests, Bradley-Terry, subgroups) and power.
"""

from assay.stats._agreement import (
    FleissKappaResult,
    JudgeAgreementResult,
    KappaResult,
    KrippendorffResult,
    PPIResult,
    cohen_kappa,
    fleiss_kappa,
    judge_agreement,
    krippendorff_alpha,
    ppi_mean,
    ratings_to_counts,
)
from assay.stats._bootstrap import (
    bootstrap_mean,
)
from assay.stats._bradley_terry import (
    BradleyTerryResult,
    bradley_terry,
)
from assay.stats._clustered import (
    ClusteredMeanResult,
    clustered_mean_ci,
    intraclass_correlation,
)
from assay.stats._compare import (
    CompareResult,
    MarginResult,
    McNemarResult,
    compare,
    compare_models,
)
from assay.stats._means import (
    MeanResult,
    mean_ci,
)
from assay.stats._model_selection import (
    BootstrapScoreResult,
    FiveByTwoResult,
    McNemarPredictionsResult,
    bootstrap_632_score,
    combined_ftest_5x2cv,
    mcnemar_predictions,
    paired_ttest_5x2cv,
)
from assay.stats._multiple import (
    ADJUST_METHODS,
    MultipleTestResult,
    adjust_pvalues,
)
from assay.stats._omnibus import (
    CochranQResult,
    FriedmanResult,
    NemenyiResult,
    cochran_q,
    friedman,
    nemenyi,
)
from assay.stats._pairwise import (
    PairwiseResult,
    pairwise,
)
from assay.stats._power import (
    PowerResult,
    minimum_detectable_effect,
    sample_size,
)
from assay.stats._power_data import (
    power_from_data,
)
from assay.stats._proportion import (
    ProportionResult,
    proportion_ci,
)
from assay.stats._rank_agreement import (
    CorrelationResult,
    RankAgreementResult,
    rank_agreement,
)
from assay.stats._ranking import (
    LeaderboardEntry,
    LeaderboardResult,
    RankResult,
    leaderboard,
    rank_intervals,
)
from assay.stats._repeated import (
    RepeatedSamplesResult,
    repeated_samples,
)
from assay.stats._results import (
    BootstrapResult,
    EstimateResult,
    Interval,
    TestResult,
)
from assay.stats._subgroups import (
    SubgroupResult,
    subgroups,
)

__all__ = [
    "ADJUST_METHODS",
    "BootstrapResult",
    "BootstrapScoreResult",
    "BradleyTerryResult",
    "ClusteredMeanResult",
    "CochranQResult",
    "CompareResult",
    "CorrelationResult",
    "EstimateResult",
    "FiveByTwoResult",
    "FleissKappaResult",
    "FriedmanResult",
    "Interval",
    "JudgeAgreementResult",
    "KappaResult",
    "KrippendorffResult",
    "LeaderboardEntry",
    "LeaderboardResult",
    "MarginResult",
    "McNemarPredictionsResult",
    "McNemarResult",
    "MeanResult",
    "MultipleTestResult",
    "NemenyiResult",
    "PPIResult",
    "PairwiseResult",
    "PowerResult",
    "ProportionResult",
    "RankAgreementResult",
    "RankResult",
    "RepeatedSamplesResult",
    "SubgroupResult",
    "TestResult",
    "adjust_pvalues",
    "bootstrap_632_score",
    "bootstrap_mean",
    "bradley_terry",
    "clustered_mean_ci",
    "cochran_q",
    "cohen_kappa",
    "combined_ftest_5x2cv",
    "compare",
    "compare_models",
    "fleiss_kappa",
    "friedman",
    "intraclass_correlation",
    "judge_agreement",
    "krippendorff_alpha",
    "leaderboard",
    "mcnemar_predictions",
    "mean_ci",
    "minimum_detectable_effect",
    "nemenyi",
    "paired_ttest_5x2cv",
    "pairwise",
    "power_from_data",
    "ppi_mean",
    "proportion_ci",
    "rank_agreement",
    "rank_intervals",
    "ratings_to_counts",
    "repeated_samples",
    "sample_size",
    "subgroups",
]
