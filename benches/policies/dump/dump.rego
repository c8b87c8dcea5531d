# Not a policy: prints the per-plan data document plangate builds (data.plangate's
# computed keys and data.conftest) as one warning, so that benches/opa_bench.py can
# give OPA exactly the same `data` when it evaluates the built-in library.
#
#   plangate check -p benches/policies/dump -n plangate_bench_dump -o json plan.json
package plangate_bench_dump

warn contains json.marshal({
	"plangate": {
		"plan": data.plangate.plan,
		"summary": data.plangate.summary,
		"changes": data.plangate.changes,
		"outputs": data.plangate.outputs,
		"drifted": data.plangate.drifted,
		"config": data.plangate.config,
		"context": data.plangate.context,
	},
	"conftest": data.conftest,
})
