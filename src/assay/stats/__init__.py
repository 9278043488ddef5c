"""assay.stats: honest intervals, paired comparisons, many models at once, power.

Pure functions on arrays that return frozen result dataclasses (DESIGN.md, STYLE.md): one score
(proportions, means, bootstrap, clustered, repeated samples), A against B (`compare`), many models
(`pairwise`, `leaderboard`, `rank_intervals`, omnibus tests, Bradley-Terry, subgroups) and power.
"""

from assay.stats._aggregate import (
    AggregateIntervals,
    AggregateLeaderboardResult,
    PerItemRequirement,
    UnpairedCompareResult,
    aggregate_intervals,
    aggregate_leaderboard,
    compare_unpaired,
    per_item_requirements,
    recover_n,
)
from assay.stats._aggregate_check import (
    AggregateFinding,
    check_aggregates,
)
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
from assay.stats._corpus import (
    CORPUS_METRICS,
    CorpusMetricResult,
    corpus_bootstrap,
    corpus_compare,
    corpus_metric,
    corpus_statistics,
)
from assay.stats._gate import (
    NoninferiorityResult,
    PairedDifferenceResult,
    noninferiority,
    paired_difference,
)
from assay.stats._gate_config import (
    GateConfig,
    TaskSettings,
    gate_config,
)
from assay.stats._gate_suite import (
    AverageClaim,
    GateTask,
    SuiteGateResult,
    TaskVerdict,
    suite_gate,
)
from assay.stats._means import (
    MeanResult,
    bounded_interval,
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
    better_matrix,
    pairwise,
)
from assay.stats._pilot import (
    power_from_matrix,
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
from assay.stats._sequential import (
    ConfidenceSequenceResult,
    SequentialGateResult,
    confidence_sequence,
    sequential_noninferiority,
)
from assay.stats._subgroups import (
    SubgroupResult,
    subgroups,
)

__all__ = [
    "ADJUST_METHODS",
    "AggregateFinding",
    "AggregateIntervals",
    "AggregateLeaderboardResult",
    "AverageClaim",
    "BootstrapResult",
    "BootstrapScoreResult",
    "BradleyTerryResult",
    "CORPUS_METRICS",
    "ClusteredMeanResult",
    "CochranQResult",
    "CompareResult",
    "ConfidenceSequenceResult",
    "CorpusMetricResult",
    "CorrelationResult",
    "EstimateResult",
    "FiveByTwoResult",
    "FleissKappaResult",
    "FriedmanResult",
    "GateConfig",
    "GateTask",
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
    "NoninferiorityResult",
    "PPIResult",
    "PairedDifferenceResult",
    "PairwiseResult",
    "PerItemRequirement",
    "PowerResult",
    "ProportionResult",
    "RankAgreementResult",
    "RankResult",
    "RepeatedSamplesResult",
    "SequentialGateResult",
    "SubgroupResult",
    "SuiteGateResult",
    "TaskSettings",
    "TaskVerdict",
    "TestResult",
    "UnpairedCompareResult",
    "adjust_pvalues",
    "aggregate_intervals",
    "aggregate_leaderboard",
    "better_matrix",
    "bootstrap_632_score",
    "bootstrap_mean",
    "bounded_interval",
    "bradley_terry",
    "check_aggregates",
    "clustered_mean_ci",
    "cochran_q",
    "cohen_kappa",
    "combined_ftest_5x2cv",
    "compare",
    "compare_models",
    "compare_unpaired",
    "confidence_sequence",
    "corpus_bootstrap",
    "corpus_compare",
    "corpus_metric",
    "corpus_statistics",
    "fleiss_kappa",
    "friedman",
    "gate_config",
    "intraclass_correlation",
    "judge_agreement",
    "krippendorff_alpha",
    "leaderboard",
    "mcnemar_predictions",
    "mean_ci",
    "minimum_detectable_effect",
    "nemenyi",
    "noninferiority",
    "paired_difference",
    "paired_ttest_5x2cv",
    "pairwise",
    "per_item_requirements",
    "power_from_data",
    "power_from_matrix",
    "ppi_mean",
    "proportion_ci",
    "rank_agreement",
    "rank_intervals",
    "ratings_to_counts",
    "recover_n",
    "repeated_samples",
    "sample_size",
    "sequential_noninferiority",
    "subgroups",
    "suite_gate",
]
