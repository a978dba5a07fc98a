package plan

// Reasons of a trust's update; one change may join several with "; "
// (ReasonsSeparator), as in "trust disabled; expiry set".
const (
	ReasonDisabled       = "trust disabled"
	ReasonExpirySet      = "expiry set"
	ReasonExpiryEarlier  = "expiry brought forward"
	ReasonEnabled        = "trust enabled"
	ReasonExpiryRemoved  = "expiry removed"
	ReasonExpiryExtended = "expiry extended"
)

// ReasonsSeparator joins the reasons of one change.
const ReasonsSeparator = "; "

// Reasons lists every reason a change or a protected item can give (a
// change's reason is one of them or several joined by
// [ReasonsSeparator]), for the documentation's test and for readers that
// want to know them all.
func Reasons() []string {
	return []string{
		ReasonNotInConfig, ReasonNotLive, ReasonRolesRemoved, ReasonRolesAdded,
		ReasonProtectListed, ReasonCustomerCare,
		ReasonDisabled, ReasonExpirySet, ReasonExpiryEarlier,
		ReasonEnabled, ReasonExpiryRemoved, ReasonExpiryExtended,
	}
}
