"""The PBX side of a call made by hand (raw SIP) toward the gateway's PBX listener, with an RTP
socket on the PBX's media address: what the media tests drive and check packet by packet."""

import socket
import uuid

import harness
from harness import build_message


class PbxDialog:
    def __init__(self, ctx, topo, media_host):
        self.pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port)
        self.rtp_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp_sock.bind((media_host, 0))
        self.gw = topo.pbx_side_addr()
        self.call_id = uuid.uuid4().hex + "@pbx.internal"
        self.from_tag = "pbx" + uuid.uuid4().hex[:8]
        self.ruri = f"sip:{topo.dialled}@{topo.host}:{topo.pbx_side}"
        self.to = f"<sip:{topo.dialled}@{topo.host}>"
        self._topo = topo

    def request(self, method, uri, cseq, to_value, body=""):
        """A request of this dialog from extension 201, with an SDP body when given."""
        topo = self._topo
        hs = [("Via", f"SIP/2.0/UDP {topo.pbx_host}:{topo.pbx_port};branch={harness.new_branch()}"
                      ";rport"),
              ("Max-Forwards", "70"),
              ("From", f"<sip:201@{topo.pbx_host}>;tag={self.from_tag}"),
              ("To", to_value),
              ("Call-ID", self.call_id),
              ("CSeq", f"{cseq} {method}"),
              ("Contact", f"<sip:201@{topo.pbx_host}:{topo.pbx_port}>")]
        if body:
            hs.append(("Content-Type", "application/sdp"))
        return build_message(f"{method} {uri} SIP/2.0", hs, body)
