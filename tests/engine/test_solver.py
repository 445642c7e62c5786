"""The solver seam: status mapping, the HiGHS solver on tiny programs, the fake solver.

The fake solver stands in for HiGHS behind :func:`impact`, :func:`time_to_survive`,
:class:`RegionalSolver` and :func:`contingency_plan`: what they report must follow from
the statuses and values the solver returns, whatever they are.
"""

from __future__ import annotations

import math

import highspy
import numpy as np
import pytest

from chipstress import Network
from chipstress.engine import (
    FakeSolver,
    HighsSolver,
    LPData,
    Outcome,
    ProgramKind,
    RegionalSolver,
    SolveStatus,
    build_lp,
    compile_network,
    impact,
    time_to_survive,
)
from chipstress.engine.formulation import (
    TTS_DUAL_TOLERANCE,
    define_bom_constraints,
    define_flow_constraints,
    program_kind,
    region_layout,
)
from chipstress.engine.solver import DEFAULT_DUAL_TOLERANCE, Solver, status_from_highs
from chipstress.workflows.contingency import contingency_plan
from chipstress.workflows.plan.mip import tie_detail

STATUS_VALUES = {
    "optimal",
    "infeasible",
    "unbounded",
    "unbounded_or_infeasible",
    "time_limit",
    "iteration_limit",
    "numerical_error",
    "no_duration",
    "error",
}


# --------------------------------------------------------------------------- statuses
def test_status_values_are_the_stored_words() -> None:
    assert {s.value for s in SolveStatus} == STATUS_VALUES
    assert SolveStatus.OPTIMAL == "optimal" and str(SolveStatus.TIME_LIMIT) == "time_limit"
    assert f"{SolveStatus.INFEASIBLE}" == "infeasible"


@pytest.mark.parametrize("name", sorted(highspy.HighsModelStatus.__members__))
def test_every_highs_model_status_maps_to_a_member(name: str) -> None:
    status = status_from_highs(highspy.HighsModelStatus.__members__[name])
    assert isinstance(status, SolveStatus)
    assert status not in (SolveStatus.NO_DURATION, SolveStatus.ERROR)
    own = {
        "kOptimal": SolveStatus.OPTIMAL,
        "kInfeasible": SolveStatus.INFEASIBLE,
        "kUnbounded": SolveStatus.UNBOUNDED,
        "kUnboundedOrInfeasible": SolveStatus.UNBOUNDED_OR_INFEASIBLE,
        "kTimeLimit": SolveStatus.TIME_LIMIT,
        "kIterationLimit": SolveStatus.ITERATION_LIMIT,
    }
    assert status == own.get(name, SolveStatus.NUMERICAL_ERROR)


def _one_row(cost: float, lower: float, upper: float, row_upper: float) -> LPData:
    """min cost·x s.t. x <= row_upper, lower <= x <= upper."""
    return LPData.from_triplets(
        np.array([0]),
        np.array([0]),
        np.array([1.0]),
        1,
        cost=np.array([cost]),
        col_lower=np.array([lower]),
        col_upper=np.array([upper]),
        row_lower=np.array([-np.inf]),
        row_upper=np.array([row_upper]),
    )


def test_highs_solver_statuses_and_values() -> None:
    solver = HighsSolver()
    solver.load(_one_row(-1.0, 0.0, 10.0, 4.0))
    assert solver.solve() is SolveStatus.OPTIMAL
    assert solver.objective() == pytest.approx(-4.0)
    assert solver.solution().col_value.tolist() == pytest.approx([4.0])
    assert solver.solution().row_dual.tolist() == pytest.approx([-1.0])
    assert solver.has_solution()
    solver.change_row_bounds(0, -np.inf, 2.0)
    assert solver.solve() is SolveStatus.OPTIMAL and solver.objective() == pytest.approx(-2.0)
    solver.change_costs(np.array([1.0]))
    assert solver.solve() is SolveStatus.OPTIMAL and solver.objective() == pytest.approx(0.0)
    solver.load(_one_row(0.0, 5.0, 10.0, 4.0))
    assert solver.solve() is SolveStatus.INFEASIBLE
    solver.load(_one_row(-1.0, 0.0, np.inf, np.inf))
    assert solver.solve() in (SolveStatus.UNBOUNDED, SolveStatus.UNBOUNDED_OR_INFEASIBLE)


def test_highs_solver_round_trips_a_basis(tiny: Network) -> None:
    model = compile_network(tiny)
    data, _ = build_lp(model, ProgramKind.TTR, np.zeros(model.n_nodes), 4.0)
    solver = HighsSolver()
    solver.load(data)
    assert solver.solve() is SolveStatus.OPTIMAL
    cols, rows = solver.basis()
    assert (len(cols), len(rows)) == (data.n_cols, data.n_rows)
    again = HighsSolver()
    again.load(data)
    again.set_basis(cols, rows)
    assert again.solve() is SolveStatus.OPTIMAL
    assert again.objective() == pytest.approx(solver.objective())


def test_a_program_brings_its_dual_tolerance_to_the_solver(tiny: Network) -> None:
    # Time-to-survive asks for a tight dual tolerance (its duals are all small); the
    # time-to-recover program loaded next into the same instance gets HiGHS's default.
    model = compile_network(tiny)
    zero = np.zeros(model.n_nodes)
    survive, _ = build_lp(model, ProgramKind.TTS, zero)
    recover, _ = build_lp(model, ProgramKind.TTR, zero, 4.0)
    assert survive.dual_tolerance == TTS_DUAL_TOLERANCE == 1e-10
    assert recover.dual_tolerance is None
    solver = HighsSolver()
    for data, expected in ((survive, 1e-10), (recover, DEFAULT_DUAL_TOLERANCE)):
        solver.load(data)
        _, value = solver.highs.getOptionValue("dual_feasibility_tolerance")
        assert value == expected
        assert solver.solve() is SolveStatus.OPTIMAL
    assert DEFAULT_DUAL_TOLERANCE == 1e-7


def test_both_solvers_satisfy_the_protocol() -> None:
    def use(solver: Solver) -> SolveStatus:
        solver.load(_one_row(1.0, 0.0, 1.0, 1.0))
        return solver.solve()

    assert use(HighsSolver()) is SolveStatus.OPTIMAL
    assert use(FakeSolver([SolveStatus.TIME_LIMIT])) is SolveStatus.TIME_LIMIT


# --------------------------------------------------------------------------- fake solver
def test_fake_solver_replays_its_outcomes() -> None:
    fake = FakeSolver([Outcome(SolveStatus.OPTIMAL, col_value=np.array([3.0])), "infeasible"])
    data = _one_row(2.0, 0.0, 10.0, 4.0)
    fake.load(data, presolve=True)
    fake.set_option("time_limit", 5.0)
    assert fake.solve() is SolveStatus.OPTIMAL
    assert fake.objective() == pytest.approx(6.0)  # cost @ x when none is canned
    assert fake.solution().col_value.tolist() == [3.0]
    assert fake.solution().row_dual.tolist() == [0.0]
    assert fake.solve() is SolveStatus.INFEASIBLE
    assert fake.solve() is SolveStatus.INFEASIBLE  # the last outcome repeats
    assert fake.loaded == [data] and fake.options == {"time_limit": 5.0} and fake.solves == 3
    with pytest.raises(ValueError, match="outcome"):
        FakeSolver([])


def test_impact_reports_what_the_solver_says(tiny: Network) -> None:
    result = impact(tiny, {"gas": 1.0}, 4.0, solver=FakeSolver([SolveStatus.TIME_LIMIT]))
    assert result.status is SolveStatus.TIME_LIMIT
    assert math.isnan(result.lost_profit) and result.shipments.empty
    # 10 wafers lost per period at margin 50, over 4 periods; fab makes 70 per period.
    model = compile_network(tiny)
    data, layout = build_lp(model, ProgramKind.TTR, np.zeros(5), 4.0)
    x = np.zeros(data.n_cols)
    x[0] = 70.0
    x[layout.extra_column] = 10.0
    fake = FakeSolver([Outcome(SolveStatus.OPTIMAL, col_value=x)])
    result = impact(tiny, {"gas": 1.0}, 4.0, solver=fake)
    assert result.status is SolveStatus.OPTIMAL
    assert result.lost_profit == pytest.approx(4 * 10 * 50)
    assert result.production["fab"] == pytest.approx(280.0)
    assert len(fake.loaded) == 1 and fake.loaded[0].n_cols == data.n_cols


def test_time_to_survive_reports_what_the_solver_says(tiny: Network) -> None:
    survival = time_to_survive(tiny, {"gas": 1.0}, solver=FakeSolver([SolveStatus.INFEASIBLE]))
    assert survival.tts == 0.0 and survival.status is SolveStatus.OPTIMAL
    survival = time_to_survive(tiny, {"gas": 1.0}, solver=FakeSolver(["numerical_error"]))
    assert math.isnan(survival.tts) and survival.status is SolveStatus.NUMERICAL_ERROR


def test_regional_solver_reports_a_failed_baseline(tiny: Network) -> None:
    model = compile_network(tiny)
    solver = RegionalSolver(model, solver=FakeSolver([SolveStatus.ITERATION_LIMIT]))
    alpha = np.array([0.0, 0.0, 0.0, 0.0, 1.0])
    result = solver.time_to_survive(alpha)
    assert result.status is SolveStatus.ITERATION_LIMIT and math.isnan(result.value)
    loss = solver.lost_profit(alpha, 4.0)
    assert loss.status is SolveStatus.ITERATION_LIMIT and math.isnan(loss.value)


def test_contingency_plan_reports_what_the_solver_says(tiny: Network) -> None:
    plan = contingency_plan(tiny, {"gas": 1.0}, 4.0, solver=FakeSolver([SolveStatus.TIME_LIMIT]))
    assert plan.status is SolveStatus.TIME_LIMIT and math.isnan(plan.expected_lost_profit)


def test_real_and_fake_solvers_agree_through_impact(tiny: Network) -> None:
    real = impact(tiny, {"gas": 1.0}, 4.0)
    model = compile_network(tiny)
    data, _ = build_lp(model, ProgramKind.TTR, np.array([0, 0, 0, 0, 1.0]), 4.0)
    highs = HighsSolver()
    highs.load(data)
    assert highs.solve() is SolveStatus.OPTIMAL
    canned = Outcome(SolveStatus.OPTIMAL, col_value=highs.solution().col_value)
    faked = impact(tiny, {"gas": 1.0}, 4.0, solver=FakeSolver([canned]))
    assert faked.lost_profit == pytest.approx(real.lost_profit)
    assert real.status is SolveStatus.OPTIMAL


# --------------------------------------------------------------------------- details
def test_tie_detail_keeps_prose_out_of_the_status() -> None:
    assert tie_detail(SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT) == "cheapest tie: time_limit"
    assert tie_detail(SolveStatus.OPTIMAL, SolveStatus.OPTIMAL) == ""
    assert tie_detail(SolveStatus.TIME_LIMIT, SolveStatus.TIME_LIMIT) == ""


# --------------------------------------------------------------------------- program kinds
def test_program_kind_accepts_the_words_only() -> None:
    assert (
        program_kind("ttr") is ProgramKind.TTR and program_kind(ProgramKind.TTS) is ProgramKind.TTS
    )
    with pytest.raises(ValueError, match="kind must be 'ttr' or 'tts'"):
        program_kind("both")


def test_constraint_families_assemble_the_program(tiny: Network) -> None:
    """The BOM and flow families hold every u' and y' entry of the whole program."""
    model = compile_network(tiny)
    data, layout = build_lp(model, ProgramKind.TTR, np.zeros(5), 4.0)
    same = region_layout(model, ProgramKind.TTR)
    np.testing.assert_array_equal(same.nodes, layout.nodes)
    entries = define_bom_constraints(model, same) + define_flow_constraints(model, same)
    count = sum(len(rows) for rows, _, _ in entries)
    assert count == data.matrix[:, : layout.extra_column].nnz
