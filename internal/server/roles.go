package server

import (
	"maps"
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/internal/authz"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// methodRoles is the one table of who may call what: every RPC of every
// service, by full method name, and the roles allowed to call it (any one
// suffices). An RPC missing from it is denied to everyone, and
// TestEveryRPCHasRoles fails. Health and reflection are public (see
// public) and not in the table.
var methodRoles = map[string][]string{
	pb.ClaimsService_Bill_FullMethodName:             {authz.ClaimsSubmitter},
	pb.ClaimsService_Reverse_FullMethodName:          {authz.ClaimsSubmitter},
	pb.ClaimsService_Rebill_FullMethodName:           {authz.ClaimsSubmitter},
	pb.ClaimsService_CheckEligibility_FullMethodName: {authz.ClaimsSubmitter},
	pb.ClaimsService_GetBenefits_FullMethodName:      {authz.ClaimsSubmitter},

	pb.AdminService_CreateDraft_FullMethodName:    {authz.ConfigAuthor},
	pb.AdminService_UpdateDraft_FullMethodName:    {authz.ConfigAuthor},
	pb.AdminService_ValidateEdit_FullMethodName:   {authz.ConfigAuthor},
	pb.AdminService_TestClaim_FullMethodName:      {authz.ConfigAuthor, authz.ConfigApprover},
	pb.AdminService_ListEdits_FullMethodName:      {authz.ConfigAuthor, authz.ConfigApprover, authz.Auditor},
	pb.AdminService_GetEdit_FullMethodName:        {authz.ConfigAuthor, authz.ConfigApprover, authz.Auditor},
	pb.AdminService_ExportBundle_FullMethodName:   {authz.ConfigAuthor, authz.Auditor},
	pb.AdminService_ActivateEdit_FullMethodName:   {authz.ConfigApprover},
	pb.AdminService_InactivateEdit_FullMethodName: {authz.ConfigApprover},
	pb.AdminService_ImportBundle_FullMethodName:   {authz.ConfigApprover},
	pb.AdminService_ApproveImport_FullMethodName:  {authz.ConfigApprover},
	pb.AdminService_RejectImport_FullMethodName:   {authz.ConfigApprover},
	pb.AdminService_ListImports_FullMethodName:    {authz.ConfigApprover, authz.Auditor},
	pb.AdminService_ListAudit_FullMethodName:      {authz.Auditor},
	pb.AdminService_ReplayClaim_FullMethodName:    {authz.ConfigAuthor, authz.ConfigApprover, authz.Auditor},
	pb.AdminService_ReplayStore_FullMethodName:    {authz.Operator, authz.Auditor},
	pb.AdminService_DryRun_FullMethodName:         {authz.ConfigAuthor, authz.ConfigApprover, authz.Auditor},

	pb.AdminService_CreatePlanDraft_FullMethodName:     {authz.ConfigAuthor},
	pb.AdminService_UpdatePlanDraft_FullMethodName:     {authz.ConfigAuthor},
	pb.AdminService_ActivatePlan_FullMethodName:        {authz.ConfigApprover},
	pb.AdminService_InactivatePlan_FullMethodName:      {authz.ConfigApprover},
	pb.AdminService_GetPlan_FullMethodName:             {authz.ConfigAuthor, authz.ConfigApprover, authz.Auditor},
	pb.AdminService_CreateNetworkDraft_FullMethodName:  {authz.ConfigAuthor},
	pb.AdminService_UpdateNetworkDraft_FullMethodName:  {authz.ConfigAuthor},
	pb.AdminService_ActivateNetwork_FullMethodName:     {authz.ConfigApprover},
	pb.AdminService_InactivateNetwork_FullMethodName:   {authz.ConfigApprover},
	pb.AdminService_GetNetwork_FullMethodName:          {authz.ConfigAuthor, authz.ConfigApprover, authz.Auditor},
	pb.AdminService_CreateScheduleDraft_FullMethodName: {authz.ConfigAuthor},
	pb.AdminService_UpdateScheduleDraft_FullMethodName: {authz.ConfigAuthor},
	pb.AdminService_ActivateSchedule_FullMethodName:    {authz.ConfigApprover},
	pb.AdminService_InactivateSchedule_FullMethodName:  {authz.ConfigApprover},
	pb.AdminService_GetSchedule_FullMethodName:         {authz.ConfigAuthor, authz.ConfigApprover, authz.Auditor},
	pb.AdminService_CreateSettingsDraft_FullMethodName: {authz.ConfigAuthor},
	pb.AdminService_UpdateSettingsDraft_FullMethodName: {authz.ConfigAuthor},
	pb.AdminService_ActivateSettings_FullMethodName:    {authz.ConfigApprover},
	pb.AdminService_InactivateSettings_FullMethodName:  {authz.ConfigApprover},
	pb.AdminService_GetSettings_FullMethodName:         {authz.ConfigAuthor, authz.ConfigApprover, authz.Auditor},

	pb.EnrollmentService_SyncFamilies_FullMethodName:     {authz.EnrollmentOperator},
	pb.EnrollmentService_SyncCatalog_FullMethodName:      {authz.EnrollmentOperator},
	pb.EnrollmentService_ListMemberClaims_FullMethodName: {authz.EnrollmentOperator, authz.Auditor},
	pb.EnrollmentService_ReverseClaim_FullMethodName:     {authz.EnrollmentOperator},
	pb.OperatorService_CreateBackup_FullMethodName:       {authz.Operator},

	pb.PriorAuthService_CreatePriorAuth_FullMethodName: {authz.ClinicalReviewer},
	pb.PriorAuthService_ChangePriorAuth_FullMethodName: {authz.ClinicalReviewer},
	pb.PriorAuthService_EndPriorAuth_FullMethodName:    {authz.ClinicalReviewer},
	pb.PriorAuthService_ListPriorAuths_FullMethodName:  {authz.ClinicalReviewer, authz.Auditor},
	pb.PriorAuthService_GetPriorAuth_FullMethodName:    {authz.ClinicalReviewer, authz.Auditor},
	pb.PriorAuthService_SyncPriorAuths_FullMethodName:  {authz.EnrollmentOperator},

	pb.RetroService_StartEligibilityRetro_FullMethodName:   {authz.EnrollmentOperator},
	pb.RetroService_StartConfigurationRetro_FullMethodName: {authz.ConfigApprover},
	pb.RetroService_GetRetroReport_FullMethodName:          {authz.EnrollmentOperator, authz.ConfigApprover, authz.Auditor},
	// Who may start a job of its kind may cancel it (checked by the call).
	pb.RetroService_CancelRetroJob_FullMethodName: {authz.EnrollmentOperator, authz.ConfigApprover},
}

// MethodRoles returns a copy of the role table, by full method name.
func MethodRoles() map[string][]string {
	out := maps.Clone(methodRoles)
	for k, v := range out {
		out[k] = slices.Clone(v)
	}
	return out
}

// publicServices answer every caller without a role: health (probes) and
// reflection (served only when enabled).
var publicServices = []string{
	"grpc.health.v1.Health",
	"grpc.reflection.v1.ServerReflection",
	"grpc.reflection.v1alpha.ServerReflection",
}

// serviceOf is the service of a full method name ("/pkg.Service/Method").
func serviceOf(method string) string {
	s, _, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	return s
}

// public reports whether method needs no role.
func public(method string) bool { return slices.Contains(publicServices, serviceOf(method)) }

// audited reports whether calls of method go into the audit trail: every
// admin, enrollment and operational call, not claims (a claim's record is
// its audit; denied claim calls are counted instead).
func audited(method string) bool {
	return !public(method) && serviceOf(method) != pb.ClaimsService_ServiceDesc.ServiceName
}
