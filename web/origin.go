package web

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// checkOrigin refuses state-changing requests that a browser sent from
// another site's page: their Origin header (or, from browsers that send
// none, their Referer) must name this server. That covers the login form
// too, which no session or CSRF token protects: without the check a
// foreign page could log the browser in to an account of the attacker's
// choosing. Calls with an Authorization header are exempt: they carry no
// cookies, and a browser does not send that header to another site unasked.
// Requests with neither header (scripts, curl) are not from a browser's
// page and pass.
func (s *Server) checkOrigin() gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if safeMethod(r.Method) || r.Header.Get("Authorization") != "" {
			c.Next()
			return
		}
		sent, header := r.Header.Get("Origin"), "Origin"
		if sent == "" {
			sent, header = r.Header.Get("Referer"), "Referer"
		}
		if sent == "" {
			c.Next()
			return
		}
		own := s.ownHost(c)
		if u, err := url.Parse(sent); err != nil || u.Host == "" || !sameHost(u.Host, u.Scheme, own) {
			s.fail(c, &annotate.Error{Code: annotate.EFORBIDDEN, Message: "this request was sent from a page of another site (" + header + " " + quoteShort(sent) + "), and Concord takes forms and changes only from its own pages at " + own + "; open the page on this server and send it again"})
			return
		}
		c.Next()
	}
}

// ownHost is the host (and port) this server is reached at: the request's
// Host, or the X-Forwarded-Host a trusted proxy set.
func (s *Server) ownHost(c *gin.Context) string {
	if fh := c.Request.Header.Get("X-Forwarded-Host"); fh != "" && s.fromTrustedProxy(c.Request) {
		first, _, _ := strings.Cut(fh, ",")
		return strings.TrimSpace(first)
	}
	return c.Request.Host
}

// fromTrustedProxy reports whether the request's TCP peer is one of
// Config.TrustedProxies.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	if len(s.cfg.TrustedProxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// sameHost reports whether the host of an Origin or Referer, sent with
// scheme, is own, a Host header; a port that is the scheme's default may
// be given on either side or left out.
func sameHost(sent, scheme, own string) bool {
	return strings.EqualFold(dropDefaultPort(sent, scheme), dropDefaultPort(own, scheme))
}

func dropDefaultPort(host, scheme string) string {
	switch {
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	}
	return host
}

// quoteShort quotes a header value for a message, cut to a readable length.
func quoteShort(v string) string {
	if len(v) > 100 {
		v = v[:100] + "…"
	}
	return `"` + strings.ToValidUTF8(v, "?") + `"`
}

// throttleAddress is the address failed logins are counted on: the client's
// IP, or for IPv6 its /64, the block one machine usually gets whole, so
// that a client cannot start a fresh count with each address in it.
func throttleAddress(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
